from bench.generate import generate_command
from cpoms import create_app

app = create_app()
# `flask --app app generate`: the benchmarks' data generator, beside them in bench/ (the app does not depend on it).
app.cli.add_command(generate_command)
