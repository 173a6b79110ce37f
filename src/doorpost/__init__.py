"""Doorpost: a multi-tenant SCIM 2.0 service provider for physical access control."""

__version__ = "0.1.0"
