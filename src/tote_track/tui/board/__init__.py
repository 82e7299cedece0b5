"""The store board: a location's orders, "Preparing" and "Ready for pickup", in big type."""
