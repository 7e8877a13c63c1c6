"""The GraphQL face of Détente: types, loaders, errors and the exported SDL."""
