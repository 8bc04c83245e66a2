"""Crowdsourcing captions for new XTD10 languages, and auditing the published ones.

Pipeline: ``task`` (platform input file and task page) -> ``ingest`` (any platform's export
into one canonical parquet table) -> ``validate`` (named rules, worker summary, report)
-> ``decide`` (approve/reject files) -> ``promote`` (caption files + registry entry).
``audit`` runs the same rules on a published language.
"""
