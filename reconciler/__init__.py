"""reconciler: CRM-as-code for Pipedrive."""

__version__ = "0.1.0"
