-- GET /members/{id}: the single-member read of members_store::get (scope: every unit), as
-- diesel sends it (bench/baseline: `gonghui-bench-baseline --print-sql`). One transaction
-- = one request's SQL. Run by bench/run.sh:
--   pgbench -n -M prepared -c 16 -j 2 -T <s> -D min_id=<min> -D max_id=<max> -f bench/pgbench/member.sql gonghui_bench
\set id random(:min_id, :max_id)
SELECT "members"."id", "members"."staff_no", "members"."name", "members"."gender", "members"."birth_date", "members"."unit_id", "members"."employment_type", "members"."joined_on", "members"."status", "members"."left_on", "members"."phone", "members"."id_card_cipher", "members"."version", "members"."created_at", "members"."updated_at", "units"."name", EXISTS (SELECT "honors"."id", "honors"."member_id", "honors"."category", "honors"."level" FROM "honors" WHERE ((("honors"."member_id" = "members"."id") AND ("honors"."category" = ANY('{model_worker,advanced_worker}'::text[]))) AND ("honors"."level" = ANY('{national,provincial}'::text[])))) FROM ("members" INNER JOIN "units" ON ("units"."id" = "members"."unit_id")) WHERE ("members"."id" = :id) LIMIT 1;
