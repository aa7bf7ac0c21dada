"""RTS 6 controls the firm sets at run time: the kill switch (Art. 12) and the pre-trade limits
(Art. 15), each an aggregate per scope whose every change is an event with who made it."""
