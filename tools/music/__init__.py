"""Neural music models exposed as typed tools: piano generation, harmonisation, SOM exploration,
song-aesthetics scoring. Each model trains here on real music and ships as a small checkpoint."""
