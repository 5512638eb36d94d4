"""extriage: triage of on-premises Microsoft Exchange servers for ProxyLogon and the waves after it."""

__version__ = "0.1.0"
