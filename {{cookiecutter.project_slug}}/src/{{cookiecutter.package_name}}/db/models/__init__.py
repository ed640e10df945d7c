"""The service's tables: one module per model (or group of related models) in this package.

Every model derives from `..base.Base`, so its table is on `Base.metadata`. `migrate` imports
every module here before Alembic compares the models with the database (`db revision
--autogenerate`, and the test that models and migrations agree), so a model is never
mistaken for a table to drop. Each table comes with its own migration under
`migrations/versions/`.
"""
