"""HTTP: the Starlette application, SCIM routing, bodies, auth and the one error renderer."""
