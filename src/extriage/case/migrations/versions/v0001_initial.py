"""Initial case schema: servers with their summary columns, findings, indicators, stories, results,
probes, mitigation results and the response log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "servers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_key", sa.String(64), nullable=False, unique=True),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("hostname", sa.Text, nullable=False),
        sa.Column("layout", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("verdict_reason", sa.Text, nullable=False),
        sa.Column("waves", sa.JSON, nullable=False),
        sa.Column("first_activity", TZ),
        sa.Column("last_activity", TZ),
        sa.Column("build", sa.String(64), nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("open_cves", sa.JSON, nullable=False),
        sa.Column("mitigations", sa.JSON, nullable=False),
        sa.Column("exposure", sa.String(32), nullable=False),
        sa.Column("exposure_detail", sa.JSON, nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("priority_rank", sa.Integer, nullable=False),
        sa.Column("priority_reason", sa.Text, nullable=False),
        sa.Column("priority_source", sa.Text, nullable=False),
        sa.Column("findings_count", sa.Integer, nullable=False),
        sa.Column("attacker_findings", sa.Integer, nullable=False),
        sa.Column("max_severity", sa.Integer, nullable=False),
        sa.Column("webshells", sa.Integer, nullable=False),
        sa.Column("attacker_ips", sa.Integer, nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("worker", sa.Text, nullable=False),
        sa.Column("scanned_at", TZ),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("response_state", sa.String(20), nullable=False),
        sa.Column("response_by", sa.Text, nullable=False),
        sa.Column("response_at", TZ),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_servers_name_key", "servers", ["name_key"])
    op.create_index("ix_servers_verdict", "servers", ["verdict"])
    op.create_index("ix_servers_priority", "servers", ["priority"])
    op.create_index("ix_servers_priority_name", "servers", ["priority_rank", "name"])

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("finding_id", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("confidence", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("wave", sa.String(32), nullable=False),
        sa.Column("cves", sa.Text, nullable=False),
        sa.Column("first_seen", TZ),
        sa.Column("last_seen", TZ),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_findings_server_severity", "findings", ["server_id", "severity"])

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("value_key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("first_seen", TZ),
        sa.UniqueConstraint("server_id", "type", "value_key", name="uq_indicators_server_value"),
    )
    op.create_index("ix_indicators_type_value", "indicators", ["type", "value_key", "server_id"])

    op.create_table(
        "stories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("wave", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("first_seen", TZ),
        sa.Column("last_seen", TZ),
        sa.Column("client_ips", sa.JSON, nullable=False),
    )
    op.create_index("ix_stories_server_id", "stories", ["server_id"])
    op.create_index("ix_stories_first_seen", "stories", ["first_seen"])

    op.create_table(
        "results",
        sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )

    op.create_table(
        "probes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_key", sa.String(64), nullable=False, unique=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("build", sa.String(64), nullable=False),
        sa.Column("worst_state", sa.String(32), nullable=False),
        sa.Column("states", sa.JSON, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("added_at", TZ, nullable=False),
    )

    op.create_table(
        "mitigation_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_key", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("states", sa.JSON, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("added_at", TZ, nullable=False),
    )

    op.create_table(
        "response_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.Integer, sa.ForeignKey("servers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_response_log_server_at", "response_log", ["server_id", "at"])


def downgrade() -> None:
    for table in ("response_log", "mitigation_results", "probes", "results", "stories", "indicators", "findings", "servers"):
        op.drop_table(table)
