"""Quality evaluators: pure functions from an output and its ground truth to a figure.

Each module holds one measure: ``asr`` (WER/CER), ``onsets`` (caption onset error),
``shots`` (cut precision/recall/F1 with a tolerance), ``reframe`` (share of frames whose
crop holds the reference face), ``boundaries`` (clip edges in word gaps, on sentences).
"""
