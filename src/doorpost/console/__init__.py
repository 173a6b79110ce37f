"""The owner console: server-rendered HTML under /admin (SSO & SCIM setup, tokens,
provisioning activity, members and groups). No JavaScript build step; a few lines of
progressive enhancement (copy buttons) in static/console.js."""
