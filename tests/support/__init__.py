"""Test support: free ports, real server processes, a trained model store."""
