from tote_track.cli import main

main()
