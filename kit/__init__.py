"""Workshop kit: the helpers behind "Fine-tuning BART on the department server".

Importing ``kit`` is cheap: heavy libraries (torch, transformers, matplotlib)
are imported inside the functions that need them.
"""
