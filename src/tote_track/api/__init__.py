"""The wire: models of the Tote Orders API and the async client. No UI imports here."""
