"""The case database's tables (SQLAlchemy Core). The migrations under ``migrations/versions`` create
exactly these; ``tests/case`` checks that the two agree.

Built for 500 servers and a million findings: the per-server summary (verdict, priority, first and
last attacker activity, build, counts) lives in columns of ``servers`` so the fleet table and the
dashboard's first page read one small table; findings, indicators and stories are per-server rows
with the indexes the fleet queries use; the full result is one compressed blob per server, read only
for that server's page or the fleet report.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: One row per server (one evidence source). ``evidence_key`` identifies the evidence, so scanning
#: it again replaces the row's data (its id and response state stay).
servers = Table(
    "servers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_key", String(64), nullable=False, unique=True),
    Column("evidence", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("name_key", String(255), nullable=False, index=True),
    Column("hostname", Text, nullable=False, default=""),
    Column("layout", String(64), nullable=False, default=""),
    Column("verdict", String(20), nullable=False, index=True),
    Column("verdict_reason", Text, nullable=False, default=""),
    Column("waves", JSON, nullable=False, default=dict),
    Column("first_activity", DateTime(timezone=True)),
    Column("last_activity", DateTime(timezone=True)),
    Column("build", String(64), nullable=False, default=""),
    Column("product", Text, nullable=False, default=""),
    Column("open_cves", JSON, nullable=False, default=list),
    Column("mitigations", JSON, nullable=False, default=list),
    Column("exposure", String(32), nullable=False, default=""),
    Column("exposure_detail", JSON, nullable=False, default=dict),
    Column("priority", String(20), nullable=False, index=True),
    Column("priority_rank", Integer, nullable=False),
    Column("priority_reason", Text, nullable=False, default=""),
    Column("priority_source", Text, nullable=False, default=""),
    Column("findings_count", Integer, nullable=False, default=0),
    Column("attacker_findings", Integer, nullable=False, default=0),
    Column("max_severity", Integer, nullable=False, default=0),
    Column("webshells", Integer, nullable=False, default=0),
    Column("attacker_ips", Integer, nullable=False, default=0),
    Column("engine", String(16), nullable=False, default="local"),
    Column("worker", Text, nullable=False, default=""),
    Column("scanned_at", DateTime(timezone=True)),
    Column("tool_version", String(32), nullable=False, default=""),
    Column("error", Text),
    Column("response_state", String(20), nullable=False, default="open"),
    Column("response_by", Text, nullable=False, default=""),
    Column("response_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_servers_priority_name", "priority_rank", "name"),
)

#: Every finding of every server, without its evidence lines (those stay in the blob).
findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", Integer, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("finding_id", String(16), nullable=False),
    Column("rule_id", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("confidence", Integer, nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("wave", String(32), nullable=False),
    Column("cves", Text, nullable=False, default=""),
    Column("first_seen", DateTime(timezone=True)),
    Column("last_seen", DateTime(timezone=True)),
    Column("count", Integer, nullable=False, default=1),
    Index("ix_findings_server_severity", "server_id", "severity"),
)

#: Indicators worth comparing across servers: attacker addresses, user agents, web shell names and
#: hashes. ``value_key`` is a hash of the value, so the index stays small whatever the text's length.
indicators = Table(
    "indicators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", Integer, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(16), nullable=False),
    Column("value_key", String(40), nullable=False),
    Column("value", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True)),
    UniqueConstraint("server_id", "type", "value_key", name="uq_indicators_server_value"),
    Index("ix_indicators_type_value", "type", "value_key", "server_id"),
)

#: Attack stories (one attacker, one wave) of every server: the fleet timeline.
stories = Table(
    "stories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", Integer, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("wave", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("first_seen", DateTime(timezone=True), index=True),
    Column("last_seen", DateTime(timezone=True)),
    Column("client_ips", JSON, nullable=False, default=list),
)

#: The full result of a server (scan-result JSON, zstd-compressed): its report page and the fleet report.
results = Table(
    "results",
    metadata,
    Column("server_id", Integer, ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
    Column("encoding", String(16), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

#: ``extriage probe --json`` results, one row per target; ``names`` are the lower-case host names it
#: answers to (target host, its first label, the X-FEServer node names), matched to servers' names.
probes = Table(
    "probes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_key", String(64), nullable=False, unique=True),
    Column("target", Text, nullable=False),
    Column("names", JSON, nullable=False, default=list),
    Column("build", String(64), nullable=False, default=""),
    Column("worst_state", String(32), nullable=False, default=""),
    Column("states", JSON, nullable=False, default=dict),
    Column("data", JSON, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

#: ``extriage mitigation verify --json`` results, linked to the server scanned from the same evidence.
mitigation_results = Table(
    "mitigation_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_key", String(64), nullable=False, unique=True),
    Column("source", Text, nullable=False),
    Column("states", JSON, nullable=False, default=dict),
    Column("data", JSON, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

#: Every response state a responder set (open → disconnected → rebuilt/patched → cleared), with
#: who and when; the current one is also on ``servers``.
response_log = Table(
    "response_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("server_id", Integer, ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),
    Column("by", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_response_log_server_at", "server_id", "at"),
)
