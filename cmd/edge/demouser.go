package main

// demoPasswordHash is a bcrypt hash (bcrypt's default cost, 10) of
// demoPassword, made once: `edge serve` seeds the demo user with it instead
// of hashing the same password again on every start, which took ~60 ms of
// CPU, most of an in-memory start. TestDemoPasswordHash checks it.
const demoPasswordHash = "$2a$10$iyCpWKCnVTflGFQXR0g6peEde1oDxykuNEV050lSyiFR/hk9rrc4S"
