from safetygap.cli import main

main()
