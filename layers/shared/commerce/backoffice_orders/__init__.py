"""The back office's orders screens: the staff listing, one order in full, and the staff actions
(hold, release, notes, resending an email, changing the shipping address, refunds)."""
