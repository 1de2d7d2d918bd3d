"""The one error the report importer raises: bad input, with a message naming the problem."""


class ReportError(ValueError):
    """The file cannot be imported as a report; nothing was changed."""
