"""Storage: SQLAlchemy Core tables, the filter → SQL translator, repositories, migrations.

Every table's primary key leads with `org_id`, so one organization's rows sit together and a
deployment can shard by organization later.
"""
