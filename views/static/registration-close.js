// Tells Moodle the registration window can close (LTI Dynamic Registration, "org.imsglobal.lti.close").
(function () {
  var target = document.currentScript && document.currentScript.getAttribute('data-target');
  var platform = window.opener || (window.parent !== window ? window.parent : null);
  // Opened on its own (no Moodle window around it): there is no one to tell.
  if (platform) platform.postMessage({ subject: 'org.imsglobal.lti.close' }, target || '*');
})();
