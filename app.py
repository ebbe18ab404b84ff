from cpoms import create_app

app = create_app()
