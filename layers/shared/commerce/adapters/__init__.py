"""AWS implementations of the contexts' ports. The only place besides ``commerce.wiring`` that uses boto3."""
