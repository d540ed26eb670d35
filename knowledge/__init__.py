"""The seller's knowledge base: documents, chunking, offline embeddings, Chroma index, retrieval."""
