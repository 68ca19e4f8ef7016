print("xiecha")
