"""Seed sources: one module per public set (or our own), registered in `bench.seeds.SOURCES`."""
