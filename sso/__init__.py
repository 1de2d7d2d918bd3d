"""Single sign-on through OpenID Connect, with claims mapped to roles (issue 17)."""
