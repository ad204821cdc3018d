"""The staff console: server-rendered pages over the same selectors and actions as `api/`."""
