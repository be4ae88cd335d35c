-- GET /members?q=zs: the pinyin search of members_store::list (initials, full pinyin and
-- staff-number prefixes, or a name substring; scope: every unit), count and first page, as
-- diesel sends them. One transaction = one request's SQL. The patterns are bound as
-- parameters like diesel binds them. Run by bench/run.sh:
--   pgbench -n -M prepared -c 16 -j 2 -T <s> -D prefix=zs% -D contains=%zs% -f bench/pgbench/members_search.sql gonghui_bench
\set per_page 20
\set offset 0
SELECT COUNT(*) FROM ("members" INNER JOIN "units" ON ("units"."id" = "members"."unit_id")) WHERE (((("members"."name_initials" LIKE :prefix) OR ("members"."name_pinyin" LIKE :prefix)) OR ("members"."staff_no" LIKE :prefix)) OR ("members"."name" LIKE :contains));
SELECT "members"."id", "members"."staff_no", "members"."name", "members"."gender", "members"."birth_date", "members"."unit_id", "members"."employment_type", "members"."joined_on", "members"."status", "members"."left_on", "members"."phone", "members"."id_card_cipher", "members"."version", "members"."created_at", "members"."updated_at", "units"."name", EXISTS (SELECT "honors"."id", "honors"."member_id", "honors"."category", "honors"."level" FROM "honors" WHERE ((("honors"."member_id" = "members"."id") AND ("honors"."category" = ANY('{model_worker,advanced_worker}'::text[]))) AND ("honors"."level" = ANY('{national,provincial}'::text[])))) FROM ("members" INNER JOIN "units" ON ("units"."id" = "members"."unit_id")) WHERE (((("members"."name_initials" LIKE :prefix) OR ("members"."name_pinyin" LIKE :prefix)) OR ("members"."staff_no" LIKE :prefix)) OR ("members"."name" LIKE :contains)) ORDER BY "members"."id" ASC LIMIT :per_page OFFSET :offset;
