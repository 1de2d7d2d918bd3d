"""The REST API: DRF views over the services and selectors of the apps below (issue 17)."""
