"""The benchmark harness: synthetic datasets, fixed queries, load against us, PostGraphile and the floor."""
