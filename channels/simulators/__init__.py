"""Local stand-ins for the marketplaces' servers, speaking their API shapes over the sandbox store."""
