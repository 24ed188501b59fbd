"""The printed documents: template contexts, HTML math, rendering, stamping, PDF files.

The only subpackage that imports Jinja, WeasyPrint and pydyf (render, stamping, sheets, pdfio);
views, feedback, charts and mathhtml are plain Python and cheap to import.
"""
