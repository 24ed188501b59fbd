"""Exporting a class to an LMS: Moodle XML (cloze questions) and IMS QTI 2.1 packages (pure)."""
