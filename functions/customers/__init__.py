"""Customer accounts: Cognito sign-up/sign-in (auth) and the signed-in customer's profile and address book (profile)."""
