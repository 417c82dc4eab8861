"""The HTTP layer: request/response models, dependencies and thin routers."""
