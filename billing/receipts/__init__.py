"""Receipts: an invoice's PDF with its payment QR code (``services``), its pages (``views``, ``urls``)."""
