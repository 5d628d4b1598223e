"""Operations: what an operator does to the running platform (dead-letter queues and their redrive)."""
