"""bpquiz: one backpropagation exercise per student — worksheets, worked solutions, grading."""

__version__ = "0.1.0"
