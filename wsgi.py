from refusal_site import create_app

app = create_app()
