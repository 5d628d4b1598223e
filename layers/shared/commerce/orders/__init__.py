"""Orders context: placement (stock reserved and the quote consumed in one transaction), the
lifecycle the order workflow drives, and the customer's order history."""
