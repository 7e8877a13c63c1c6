"""Everything that speaks SQL: migrations, the seed loader and typed query functions."""
