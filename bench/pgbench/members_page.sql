-- GET /members?page=1&per_page=20: the count and the first page of members_store::list with
-- no filter (scope: every unit), as diesel sends them. One transaction = one request's SQL.
-- Run by bench/run.sh:
--   pgbench -n -M prepared -c 16 -j 2 -T <s> -f bench/pgbench/members_page.sql gonghui_bench
\set per_page 20
\set offset 0
SELECT COUNT(*) FROM ("members" INNER JOIN "units" ON ("units"."id" = "members"."unit_id"));
SELECT "members"."id", "members"."staff_no", "members"."name", "members"."gender", "members"."birth_date", "members"."unit_id", "members"."employment_type", "members"."joined_on", "members"."status", "members"."left_on", "members"."phone", "members"."id_card_cipher", "members"."version", "members"."created_at", "members"."updated_at", "units"."name", EXISTS (SELECT "honors"."id", "honors"."member_id", "honors"."category", "honors"."level" FROM "honors" WHERE ((("honors"."member_id" = "members"."id") AND ("honors"."category" = ANY('{model_worker,advanced_worker}'::text[]))) AND ("honors"."level" = ANY('{national,provincial}'::text[])))) FROM ("members" INNER JOIN "units" ON ("units"."id" = "members"."unit_id")) ORDER BY "members"."id" ASC LIMIT :per_page OFFSET :offset;
