print("steerbench")
