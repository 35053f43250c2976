print("build with scripts/fuzz")
