try:
    import sys

    from .cli import main
except KeyboardInterrupt:       # Ctrl-C while Python loads tflm_py
    raise SystemExit(130)
sys.exit(main())
