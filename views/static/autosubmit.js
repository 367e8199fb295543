// Sends the form with id "autosubmit" at once (the button stays for browsers without JavaScript).
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('autosubmit');
  if (form) form.submit();
});
