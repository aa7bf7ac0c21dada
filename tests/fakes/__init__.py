"""Local stand-ins for servers that cannot be installed on these machines (Ory's), following
their published APIs so that the real client libraries can be driven against them."""
