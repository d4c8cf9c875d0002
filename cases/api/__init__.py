"""The cases side of the JSON API (issue #7): serializers and views over cases, people and acts."""
