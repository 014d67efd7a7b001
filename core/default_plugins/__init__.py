"""The core's own default plugins: ordinary hook implementations registered at start-up."""
